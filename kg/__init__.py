"""Articles -> RDF: parsing, sentence offsets, extraction, graph building, the store."""
