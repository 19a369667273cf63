"""The domain: plain Python service functions. Nothing here imports Reflex."""
