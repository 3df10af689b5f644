"""Photo evidence of answers and action items: blobs named by their sha-256."""
