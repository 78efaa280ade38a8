"""Where articles come from: files and folders, single web pages, followed feeds (step 1 of the data path)."""
