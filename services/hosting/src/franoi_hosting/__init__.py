"""Family-hosting service of a partner: host families, requests, matches, stays."""
