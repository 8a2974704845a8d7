"""paperboy: follows news feeds and keeps a clean, searchable archive of the articles they point to.

The installed package is `paperboy` alone: its parts are the folders at the top of the repository
(core, then fetchers, extractors and db, then flows), linked here, and imported as `paperboy.<part>`."""
