"""auction_v0 internals."""
