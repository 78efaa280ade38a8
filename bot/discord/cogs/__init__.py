"""One cog per extension module; `NewsBot.setup_hook` loads each by name."""
