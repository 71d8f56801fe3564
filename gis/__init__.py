"""Pure spatial code: geometry, projections, clustering and maps. Never imports flask or app."""
