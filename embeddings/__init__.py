"""The sentence encoder and the vector index."""
