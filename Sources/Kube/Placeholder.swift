// Replaced by the Kubernetes client (issue 6, in progress).
