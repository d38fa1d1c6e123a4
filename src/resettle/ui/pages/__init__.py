"""One module per dashboard page, each with `page(view)`: what the page lays out, nothing it computes."""
