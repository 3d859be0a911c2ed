"""The portal service (``bayres serve``): a read API, cross-script search, record pages,
statistics and a catalogue page over the published catalogue (README.md, *bayres serve*)."""
