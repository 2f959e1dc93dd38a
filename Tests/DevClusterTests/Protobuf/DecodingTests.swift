import Testing
@testable import DevCluster

/// 2026-11-27T01:02:03Z.
private let sampleSeconds: UInt64 = 1_795_741_323

@Suite("Decoding hand-built messages")
struct DecodingTests {
    @Test("Lease: MicroTime keeps microseconds, Time drops nanos, ObjectMeta follows Go's omitempty")
    func lease() throws {
        let body = ProtobufWriter.body(apiVersion: "coordination.k8s.io/v1", kind: "Lease") { lease in
            lease.message(1) { metadata in
                metadata.string(1, "leader")
                metadata.string(2, "")  // generateName: omitempty string, dropped
                metadata.string(3, "kube-system")
                metadata.string(5, "0b5f7c1e-8a5e-4a36-9d7e-3f0c9a6c1b2d")
                metadata.string(6, "42")
                metadata.varint(7, 0)  // generation: omitempty int64, dropped
                metadata.message(8) { time in
                    time.varint(1, sampleSeconds)
                    time.varint(2, 999_999_999)
                }
                metadata.message(9) { _ in }  // deletionTimestamp set to the zero time
                metadata.varint(10, 0)  // deletionGracePeriodSeconds: *int64, kept
                metadata.mapEntry(11, "app", "controller")
                metadata.mapEntry(12, "note", "")
                metadata.message(13) { owner in
                    owner.string(5, "apps/v1")
                    owner.string(1, "Deployment")
                    owner.string(3, "controller")
                    owner.string(4, "uid-1")
                    owner.bool(6, true)
                    owner.bool(7, false)
                }
                metadata.string(14, "example.com/cleanup")
                metadata.message(17) { entry in
                    entry.string(1, "kube-controller-manager")
                    entry.string(2, "Update")
                    entry.string(3, "coordination.k8s.io/v1")
                    entry.message(4) { time in time.varint(1, sampleSeconds) }
                    entry.string(6, "FieldsV1")
                    entry.message(7) { fields in fields.string(1, #"{"f:spec":{"f:holderIdentity":{}}}"#) }
                    entry.string(8, "")
                }
            }
            lease.message(2) { spec in
                spec.string(1, "node-a")
                spec.varint(2, 15)
                spec.message(3) { time in
                    time.varint(1, sampleSeconds)
                    time.varint(2, 123_456_789)  // MicroTime truncates to 123456
                }
                spec.message(4) { _ in }  // renewTime set to the zero time
                spec.varint(5, 0)  // leaseTransitions: *int32, kept
            }
        }

        let expected = try JSON.parse(#"""
            {"apiVersion":"coordination.k8s.io/v1","kind":"Lease",
             "metadata":{"name":"leader","namespace":"kube-system","uid":"0b5f7c1e-8a5e-4a36-9d7e-3f0c9a6c1b2d",
               "resourceVersion":"42","creationTimestamp":"2026-11-27T01:02:03Z","deletionTimestamp":null,
               "deletionGracePeriodSeconds":0,"labels":{"app":"controller"},"annotations":{"note":""},
               "ownerReferences":[{"apiVersion":"apps/v1","kind":"Deployment","name":"controller","uid":"uid-1",
                 "controller":true,"blockOwnerDeletion":false}],
               "finalizers":["example.com/cleanup"],
               "managedFields":[{"manager":"kube-controller-manager","operation":"Update",
                 "apiVersion":"coordination.k8s.io/v1","time":"2026-11-27T01:02:03Z","fieldsType":"FieldsV1",
                 "fieldsV1":{"f:spec":{"f:holderIdentity":{}}}}]},
             "spec":{"holderIdentity":"node-a","leaseDurationSeconds":15,
               "acquireTime":"2026-11-27T01:02:03.123456Z","renewTime":null,"leaseTransitions":0}}
            """#)
        let decoded = try KubernetesProtobuf.decode(body)
        #expect(decoded == expected, "decoded \(decoded.text)")
    }

    @Test("Pod: containers, env sources, resources, probes, volumes, security contexts")
    func pod() throws {
        let body = ProtobufWriter.body(apiVersion: "v1", kind: "Pod") { pod in
            pod.message(1) { metadata in
                metadata.string(1, "web")
                metadata.message(8) { _ in }
            }
            pod.message(2) { spec in
                spec.message(1) { volume in
                    volume.string(1, "cache")
                    volume.message(2) { source in source.message(2) { emptyDir in emptyDir.string(1, "") } }
                }
                spec.message(1) { volume in
                    volume.string(1, "config")
                    volume.message(2) { source in
                        source.message(19) { configMap in
                            configMap.message(1) { reference in reference.string(1, "web-config") }
                            configMap.message(2) { item in
                                item.string(1, "app.yaml")
                                item.string(2, "app.yaml")
                            }
                            configMap.varint(3, 0o644)
                        }
                    }
                }
                spec.message(1) { volume in
                    volume.string(1, "tls")
                    volume.message(2) { source in
                        source.message(6) { secret in
                            secret.string(1, "web-tls")
                            secret.bool(4, false)  // optional: *bool, kept
                        }
                    }
                }
                spec.message(2) { container in
                    container.string(1, "web")
                    container.string(2, "nginx:1.27")
                    container.string(4, "--verbose")
                    container.message(6) { port in
                        port.string(1, "http")
                        port.varint(2, 0)
                        port.varint(3, 8080)
                        port.string(4, "TCP")
                    }
                    container.message(7) { env in
                        env.string(1, "EMPTY")
                        env.string(2, "")
                    }
                    container.message(7) { env in
                        env.string(1, "PASSWORD")
                        env.message(3) { source in
                            source.message(4) { selector in
                                selector.message(1) { reference in reference.string(1, "db") }
                                selector.string(2, "password")
                            }
                        }
                    }
                    container.message(7) { env in
                        env.string(1, "CPU")
                        env.message(3) { source in
                            source.message(2) { selector in
                                selector.string(2, "limits.cpu")
                                selector.message(3) { _ in }  // divisor: a zero Quantity is "0"
                            }
                        }
                    }
                    container.message(8) { resources in
                        resources.message(1) { entry in
                            entry.string(1, "cpu")
                            entry.message(2) { quantity in quantity.string(1, "500m") }
                        }
                        resources.message(2) { entry in
                            entry.string(1, "memory")
                            entry.message(2) { quantity in quantity.string(1, "128Mi") }
                        }
                    }
                    container.message(9) { mount in
                        mount.string(1, "config")
                        mount.bool(2, true)
                        mount.string(3, "/etc/web")
                    }
                    container.message(10) { probe in
                        probe.message(1) { handler in
                            handler.message(2) { httpGet in
                                httpGet.string(1, "/healthz")
                                httpGet.message(2) { port in
                                    port.varint(1, 1)
                                    port.string(3, "http")
                                }
                            }
                        }
                        probe.varint(2, 0)
                        probe.varint(3, 2)
                    }
                    container.message(11) { probe in
                        probe.message(1) { handler in
                            handler.message(3) { tcpSocket in
                                tcpSocket.message(1) { port in
                                    port.varint(1, 0)
                                    port.varint(2, 8080)
                                }
                            }
                        }
                        probe.varint(2, 5)
                    }
                    container.string(14, "IfNotPresent")
                    container.message(15) { securityContext in
                        securityContext.message(1) { capabilities in capabilities.string(2, "ALL") }
                        securityContext.varint(4, 0)  // runAsUser: *int64, so root stays explicit
                        securityContext.bool(5, false)
                    }
                    container.bool(16, false)
                }
                spec.string(3, "Always")
                spec.varint(4, 0)  // terminationGracePeriodSeconds: *int64, kept
                spec.bool(11, false)  // hostNetwork: omitempty bool, dropped
                spec.message(14) { securityContext in
                    // supplementalGroups, packed as proto3 writers do.
                    securityContext.bytes(4, [0xE8, 0x07, 0xD0, 0x0F])
                    securityContext.varint(5, 2000)
                }
                spec.message(22) { toleration in
                    toleration.string(1, "node.kubernetes.io/not-ready")
                    toleration.string(2, "Exists")
                    toleration.string(4, "NoExecute")
                    toleration.varint(5, 300)
                }
                spec.int(25, -5)  // priority: a negative int32 arrives as a ten-byte varint
            }
            pod.message(3) { status in status.string(1, "") }
        }

        let expected = try JSON.parse(#"""
            {"apiVersion":"v1","kind":"Pod","metadata":{"name":"web","creationTimestamp":null},
             "spec":{
               "volumes":[{"name":"cache","emptyDir":{}},
                 {"name":"config","configMap":{"name":"web-config","items":[{"key":"app.yaml","path":"app.yaml"}],
                   "defaultMode":420}},
                 {"name":"tls","secret":{"secretName":"web-tls","optional":false}}],
               "containers":[{"name":"web","image":"nginx:1.27","args":["--verbose"],
                 "ports":[{"name":"http","containerPort":8080,"protocol":"TCP"}],
                 "env":[{"name":"EMPTY"},
                   {"name":"PASSWORD","valueFrom":{"secretKeyRef":{"name":"db","key":"password"}}},
                   {"name":"CPU","valueFrom":{"resourceFieldRef":{"resource":"limits.cpu","divisor":"0"}}}],
                 "resources":{"limits":{"cpu":"500m"},"requests":{"memory":"128Mi"}},
                 "volumeMounts":[{"name":"config","readOnly":true,"mountPath":"/etc/web"}],
                 "livenessProbe":{"httpGet":{"path":"/healthz","port":"http"},"timeoutSeconds":2},
                 "readinessProbe":{"tcpSocket":{"port":8080},"initialDelaySeconds":5},
                 "imagePullPolicy":"IfNotPresent",
                 "securityContext":{"capabilities":{"drop":["ALL"]},"runAsUser":0,"runAsNonRoot":false}}],
               "restartPolicy":"Always","terminationGracePeriodSeconds":0,
               "securityContext":{"supplementalGroups":[1000,2000],"fsGroup":2000},
               "tolerations":[{"key":"node.kubernetes.io/not-ready","operator":"Exists","effect":"NoExecute",
                 "tolerationSeconds":300}],
               "priority":-5},
             "status":{}}
            """#)
        let decoded = try KubernetesProtobuf.decode(body)
        #expect(decoded == expected, "decoded \(decoded.text)")
    }

    @Test("Deployment strategy: IntOrString as string and as a pointer to zero")
    func deploymentStrategy() throws {
        let body = ProtobufWriter.body(apiVersion: "apps/v1", kind: "Deployment") { deployment in
            deployment.message(2) { spec in
                spec.message(4) { strategy in
                    strategy.string(1, "RollingUpdate")
                    strategy.message(2) { rollingUpdate in
                        rollingUpdate.message(1) { maxUnavailable in
                            maxUnavailable.varint(1, 0)
                            maxUnavailable.varint(2, 0)
                        }
                        rollingUpdate.message(2) { maxSurge in
                            maxSurge.varint(1, 1)
                            maxSurge.string(3, "25%")
                        }
                    }
                }
                spec.varint(6, 0)
            }
        }
        let decoded = try KubernetesProtobuf.decode(body)
        #expect(decoded == [
            "apiVersion": "apps/v1", "kind": "Deployment",
            "spec": [
                "strategy": ["type": "RollingUpdate", "rollingUpdate": ["maxUnavailable": 0, "maxSurge": "25%"]],
                "revisionHistoryLimit": 0,
            ],
        ])
    }

    @Test("Scale: spec.replicas is omitempty, status.replicas is not")
    func scale() throws {
        let body = ProtobufWriter.body(apiVersion: "autoscaling/v1", kind: "Scale") { scale in
            scale.message(1) { metadata in metadata.string(1, "web") }
            scale.message(2) { spec in spec.varint(1, 0) }
            scale.message(3) { status in
                status.varint(1, 0)
                status.string(2, "app=web")
            }
        }
        let decoded = try KubernetesProtobuf.decode(body)
        #expect(decoded == [
            "apiVersion": "autoscaling/v1", "kind": "Scale", "metadata": ["name": "web"],
            "spec": [:], "status": ["replicas": 0, "selector": "app=web"],
        ])
    }

    @Test("Unknown fields of every wire type are skipped, in the envelope and at any depth")
    func unknownFieldsAreSkipped() throws {
        func addUnknownFields(_ writer: inout ProtobufWriter) {
            writer.varint(900, 7)
            writer.fixed64(901, 0xDEAD_BEEF)
            writer.string(902, "from a newer Kubernetes")
            writer.fixed32(903, 12)
            writer.message(904) { nested in nested.varint(1, 1) }
        }
        func configMap(withUnknownFields: Bool) -> [UInt8] {
            var object = ProtobufWriter()
            if withUnknownFields { addUnknownFields(&object) }
            object.message(1) { metadata in
                metadata.string(1, "a")
                if withUnknownFields { addUnknownFields(&metadata) }
            }
            object.message(2) { entry in
                entry.string(1, "x")
                if withUnknownFields { addUnknownFields(&entry) }
                entry.string(2, "1")
            }
            var envelope = ProtobufWriter()
            envelope.message(1) { typeMeta in
                typeMeta.string(1, "v1")
                if withUnknownFields { addUnknownFields(&typeMeta) }
                typeMeta.string(2, "ConfigMap")
            }
            if withUnknownFields { addUnknownFields(&envelope) }
            envelope.bytes(2, object.bytes)
            envelope.string(4, "application/vnd.kubernetes.protobuf")
            return [0x6B, 0x38, 0x73, 0x00] + envelope.bytes
        }

        let decoded = try KubernetesProtobuf.decode(configMap(withUnknownFields: true))
        #expect(decoded == (try KubernetesProtobuf.decode(configMap(withUnknownFields: false))))
        #expect(decoded == ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "a"], "data": ["x": "1"]])
    }

    @Test("Repeated int64 is read both unpacked (proto2, as Go sends it) and packed")
    func repeatedScalarsPackedAndUnpacked() throws {
        let body = ProtobufWriter.body(apiVersion: "v1", kind: "Pod") { pod in
            pod.message(2) { spec in
                spec.message(14) { securityContext in
                    securityContext.varint(4, 1)
                    securityContext.bytes(4, [0x02, 0x03])
                    securityContext.int(4, -4)
                }
            }
        }
        let decoded = try KubernetesProtobuf.decode(body)
        #expect(decoded[path: ["spec", "securityContext", "supplementalGroups"]] == [1, 2, 3, -4])
    }

    @Test("A field sent twice: messages merge, scalars are replaced, an omitted zero removes the field")
    func repeatedOccurrencesFollowProtobufRules() throws {
        let body = ProtobufWriter.body(apiVersion: "v1", kind: "ConfigMap") { configMap in
            configMap.message(1) { metadata in
                metadata.string(1, "first")
                metadata.string(3, "default")
            }
            configMap.message(1) { metadata in
                metadata.string(1, "second")
                metadata.string(3, "")
                metadata.mapEntry(11, "app", "web")
            }
        }
        let decoded = try KubernetesProtobuf.decode(body)
        #expect(decoded["metadata"] == ["name": "second", "labels": ["app": "web"]])
    }

    @Test("Map entries with a missing key or value decode to Go's zero values")
    func mapEntryDefaults() throws {
        let body = ProtobufWriter.body(apiVersion: "v1", kind: "Secret") { secret in
            secret.message(2) { entry in entry.string(1, "empty") }
            secret.message(2) { entry in entry.bytes(2, [0x01]) }
        }
        let decoded = try KubernetesProtobuf.decode(body)
        #expect(decoded["data"] == ["empty": "", "": "AQ=="])
    }
}

@Suite("RFC 3339 timestamps")
struct RFC3339Tests {
    @Test(arguments: [
        (Int64(0), "1970-01-01T00:00:00Z"),
        (-1, "1969-12-31T23:59:59Z"),
        (1_709_251_199, "2024-02-29T23:59:59Z"),
        (1_795_741_323, "2026-11-27T01:02:03Z"),
        (-2_203_848_000, "1900-03-01T12:00:00Z"),
        (-62_135_596_800, "0001-01-01T00:00:00Z"),
        (253_402_300_799, "9999-12-31T23:59:59Z"),
    ])
    func seconds(_ seconds: Int64, _ expected: String) {
        #expect(RFC3339.format(seconds: seconds) == expected)
    }

    @Test func microseconds() {
        #expect(RFC3339.format(seconds: 1_795_741_323, microseconds: 42) == "2026-11-27T01:02:03.000042Z")
    }

    @Test("MicroTime with negative nanos borrows a second, as Go's time.Unix does")
    func microTimeNormalizesNegativeNanos() throws {
        var timestamp = ProtobufWriter()
        timestamp.varint(1, 1_795_741_323)
        timestamp.int(2, -1_500)
        #expect(try WellKnownTypes.microTime(timestamp.bytes[...]) == "2026-11-27T01:02:02.999999Z")
    }
}
