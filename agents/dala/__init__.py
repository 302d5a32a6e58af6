"""DALA reference agents (bidding policies for auction_v0); see DESIGN.md §7."""
