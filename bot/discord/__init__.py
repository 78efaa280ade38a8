"""The Discord front end: bot lifecycle, policy, rendering, views, and one cog per extension."""
