"""Helpers shared by the integration tests: ports, network namespaces, the media pod, the test clip, peers."""
