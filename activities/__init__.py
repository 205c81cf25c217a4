"""Every I/O a workflow needs: store reads and writes, rendering, dispatch. Each one is idempotent."""
