"""What stands above the services and combines them: the list of the network's services
(:mod:`franoi_network.registry`), the local network runner (:mod:`franoi_network.devnet`)
and the published API documents (:mod:`franoi_network.api_docs`). Libraries never import
services; this package does."""
