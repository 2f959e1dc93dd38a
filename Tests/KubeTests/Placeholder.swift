import Testing
@testable import Kube
