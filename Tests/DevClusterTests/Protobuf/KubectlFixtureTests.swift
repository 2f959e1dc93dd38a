import Testing
@testable import DevCluster

/// A request body kubectl 1.32 really sent (captured with `-v=9` against devcluster, which answered 415), and the
/// JSON the same command prints with `--dry-run=client -o json`: decoding the first must give the second.
struct KubectlFixture: Sendable, CustomTestStringConvertible {
    let command: String
    let body: String
    let json: String

    var testDescription: String { command }

    static let all: [KubectlFixture] = [
        KubectlFixture(
            command: "kubectl create configmap a --from-literal=x=1",
            body: """
                6b3873000a0f0a0276311209436f6e6669674d6170121b0a110a016112001a0022002a0032003800420012060a017812
                01311a002200
                """,
            json: #"{"apiVersion":"v1","data":{"x":"1"},"kind":"ConfigMap","metadata":{"creationTimestamp":null,"name":"a"}}"#
        ),
        KubectlFixture(
            command: "kubectl create configmap files --from-file=blob.bin --from-literal=a=b --save-config",
            body: """
                6b3873000a0f0a0276311209436f6e6669674d61701284020ae3010a0566696c657312001a0022002a00320038004200
                62cb010a306b75626563746c2e6b756265726e657465732e696f2f6c6173742d6170706c6965642d636f6e6669677572
                6174696f6e1296017b226b696e64223a22436f6e6669674d6170222c2261706956657273696f6e223a227631222c226d
                65746164617461223a7b226e616d65223a2266696c6573222c226372656174696f6e54696d657374616d70223a6e756c
                6c7d2c2264617461223a7b2261223a2262227d2c2262696e61727944617461223a7b22626c6f622e62696e223a222f77
                426961573568636e6b3d227d7d0a12060a01611201621a140a08626c6f622e62696e1208ff0062696e6172791a002200
                """,
            json: #"{"apiVersion":"v1","binaryData":{"blob.bin":"/wBiaW5hcnk="},"data":{"a":"b"},"kind":"ConfigMap","metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\"kind\":\"ConfigMap\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"files\",\"creationTimestamp\":null},\"data\":{\"a\":\"b\"},\"binaryData\":{\"blob.bin\":\"/wBiaW5hcnk=\"}}\n"},"creationTimestamp":null,"name":"files"}}"#
        ),
        KubectlFixture(
            command: "kubectl create secret generic s --from-literal=password=hunter2 --from-file=blob=bin.dat",
            body: """
                6b3873000a0c0a0276311206536563726574123b0a110a017312001a0022002a00320038004200120f0a04626c6f6212
                070001feff62696e12130a0870617373776f7264120768756e746572321a001a002200
                """,
            json: #"{"apiVersion":"v1","data":{"blob":"AAH+/2Jpbg==","password":"aHVudGVyMg=="},"kind":"Secret","metadata":{"creationTimestamp":null,"name":"s"}}"#
        ),
        KubectlFixture(
            command: "kubectl create secret docker-registry reg --docker-server=r.example --docker-username=u --docker-password=p --docker-email=e@x",
            body: """
                6b3873000a0c0a0276311206536563726574129f010a130a0372656712001a0022002a0032003800420012680a112e64
                6f636b6572636f6e6669676a736f6e12537b226175746873223a7b22722e6578616d706c65223a7b22757365726e616d
                65223a2275222c2270617373776f7264223a2270222c22656d61696c223a22654078222c2261757468223a2264547077
                227d7d7d1a1e6b756265726e657465732e696f2f646f636b6572636f6e6669676a736f6e1a002200
                """,
            json: #"{"apiVersion":"v1","data":{".dockerconfigjson":"eyJhdXRocyI6eyJyLmV4YW1wbGUiOnsidXNlcm5hbWUiOiJ1IiwicGFzc3dvcmQiOiJwIiwiZW1haWwiOiJlQHgiLCJhdXRoIjoiZFRwdyJ9fX0="},"kind":"Secret","metadata":{"creationTimestamp":null,"name":"reg"},"type":"kubernetes.io/dockerconfigjson"}"#
        ),
        KubectlFixture(
            command: "kubectl create namespace team",
            body: """
                6b3873000a0f0a02763112094e616d657370616365121c0a140a047465616d12001a0022002a0032003800420012001a
                020a001a002200
                """,
            json: #"{"apiVersion":"v1","kind":"Namespace","metadata":{"creationTimestamp":null,"name":"team"},"spec":{},"status":{}}"#
        ),
        KubectlFixture(
            command: "kubectl create serviceaccount builder",
            body: """
                6b3873000a140a027631120e536572766963654163636f756e7412190a170a076275696c64657212001a0022002a0032
                00380042001a002200
                """,
            json: #"{"apiVersion":"v1","kind":"ServiceAccount","metadata":{"creationTimestamp":null,"name":"builder"}}"#
        ),
        KubectlFixture(
            command: "kubectl create deployment web --image=nginx --replicas=2 --port=80",
            body: """
                6b3873000a150a07617070732f7631120a4465706c6f796d656e7412b8010a1f0a0377656212001a0022002a00320038
                0042005a0a0a0361707012037765621286010802120c0a0a0a0361707012037765621a6c0a1c0a0012001a0022002a00
                3200380042005a0a0a036170701203776562124c122e0a056e67696e7812056e67696e782a00320a0a00100018502200
                2a0042006a007200800100880100900100a201001a00320042004a0052005800600068008201008a01009a0100c20100
                22020a00280038001a0c0800100018002000280038001a002200
                """,
            json: #"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"creationTimestamp":null,"labels":{"app":"web"},"name":"web"},"spec":{"replicas":2,"selector":{"matchLabels":{"app":"web"}},"strategy":{},"template":{"metadata":{"creationTimestamp":null,"labels":{"app":"web"}},"spec":{"containers":[{"image":"nginx","name":"nginx","ports":[{"containerPort":80}],"resources":{}}]}}},"status":{}}"#
        ),
        KubectlFixture(
            command: "kubectl create deployment idle --image=busybox --replicas=0 -- sleep 3600",
            body: """
                6b3873000a150a07617070732f7631120a4465706c6f796d656e7412c1010a210a0469646c6512001a0022002a003200
                380042005a0b0a03617070120469646c65128d010800120d0a0b0a03617070120469646c651a720a1d0a0012001a0022
                002a003200380042005a0b0a03617070120469646c65125112330a0762757379626f78120762757379626f781a05736c
                6565701a04333630302a0042006a007200800100880100900100a201001a00320042004a005200580060006800820100
                8a01009a0100c2010022020a00280038001a0c0800100018002000280038001a002200
                """,
            json: #"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"creationTimestamp":null,"labels":{"app":"idle"},"name":"idle"},"spec":{"replicas":0,"selector":{"matchLabels":{"app":"idle"}},"strategy":{},"template":{"metadata":{"creationTimestamp":null,"labels":{"app":"idle"}},"spec":{"containers":[{"command":["sleep","3600"],"image":"busybox","name":"busybox","resources":{}}]}}},"status":{}}"#
        ),
        KubectlFixture(
            command: "kubectl create service clusterip web --tcp=80:8080",
            body: """
                6b3873000a0d0a02763112075365727669636512690a1f0a0377656212001a0022002a003200380042005a0a0a036170
                70120377656212420a1b0a0738302d38303830120354435018502207080010903f1a002800120a0a0361707012037765
                621a002209436c757374657249503a00420052005a00600068001a020a001a002200
                """,
            json: #"{"apiVersion":"v1","kind":"Service","metadata":{"creationTimestamp":null,"labels":{"app":"web"},"name":"web"},"spec":{"ports":[{"name":"80-8080","port":80,"protocol":"TCP","targetPort":8080}],"selector":{"app":"web"},"type":"ClusterIP"},"status":{"loadBalancer":{}}}"#
        ),
        KubectlFixture(
            command: "kubectl create service nodeport np --tcp=8080:80 --node-port=30080",
            body: """
                6b3873000a0d0a02763112075365727669636512670a1d0a026e7012001a0022002a003200380042005a090a03617070
                12026e7012420a1d0a07383038302d3830120354435018903f2206080010501a002880eb0112090a0361707012026e70
                1a0022084e6f6465506f72743a00420052005a00600068001a020a001a002200
                """,
            json: #"{"apiVersion":"v1","kind":"Service","metadata":{"creationTimestamp":null,"labels":{"app":"np"},"name":"np"},"spec":{"ports":[{"name":"8080-80","nodePort":30080,"port":8080,"protocol":"TCP","targetPort":80}],"selector":{"app":"np"},"type":"NodePort"},"status":{"loadBalancer":{}}}"#
        ),
        KubectlFixture(
            command: "kubectl create service externalname ext --external-name=example.com",
            body: """
                6b3873000a0d0a027631120753657276696365125a0a1f0a0365787412001a0022002a003200380042005a0a0a036170
                7012036578741233120a0a0361707012036578741a00220c45787465726e616c4e616d653a004200520b6578616d706c
                652e636f6d5a00600068001a020a001a002200
                """,
            json: #"{"apiVersion":"v1","kind":"Service","metadata":{"creationTimestamp":null,"labels":{"app":"ext"},"name":"ext"},"spec":{"externalName":"example.com","selector":{"app":"ext"},"type":"ExternalName"},"status":{"loadBalancer":{}}}"#
        ),
        KubectlFixture(
            command: "kubectl create role reader --verb=get,list --resource=pods,configmaps --resource-name=x",
            body: """
                6b3873000a240a1c726261632e617574686f72697a6174696f6e2e6b38732e696f2f76311204526f6c65123c0a160a06
                72656164657212001a0022002a0032003800420012220a036765740a046c69737412001a04706f64731a0a636f6e6669
                676d6170732201781a002200
                """,
            json: #"{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"Role","metadata":{"creationTimestamp":null,"name":"reader"},"rules":[{"apiGroups":[""],"resourceNames":["x"],"resources":["pods","configmaps"],"verbs":["get","list"]}]}"#
        ),
        KubectlFixture(
            command: "kubectl create clusterrole cr2 --verb=get --non-resource-url=/x",
            body: """
                6b3873000a2b0a1c726261632e617574686f72697a6174696f6e2e6b38732e696f2f7631120b436c7573746572526f6c
                6512200a130a0363723212001a0022002a0032003800420012090a036765742a022f781a002200
                """,
            json: #"{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole","metadata":{"creationTimestamp":null,"name":"cr2"},"rules":[{"nonResourceURLs":["/x"],"verbs":["get"]}]}"#
        ),
        // kubectl also prints "rules": null (the Go field has no omitempty); absent lists are left out here.
        KubectlFixture(
            command: "kubectl create clusterrole agg --aggregation-rule=rbac.example.com/aggregate=true",
            body: """
                6b3873000a2b0a1c726261632e617574686f72697a6174696f6e2e6b38732e696f2f7631120b436c7573746572526f6c
                65123d0a130a0361676712001a0022002a003200380042001a260a240a220a1a726261632e6578616d706c652e636f6d
                2f6167677265676174651204747275651a002200
                """,
            json: #"{"aggregationRule":{"clusterRoleSelectors":[{"matchLabels":{"rbac.example.com/aggregate":"true"}}]},"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole","metadata":{"creationTimestamp":null,"name":"agg"}}"#
        ),
        KubectlFixture(
            command: "kubectl create rolebinding rb --role=reader --user=alice --serviceaccount=default:builder",
            body: """
                6b3873000a2b0a1c726261632e617574686f72697a6174696f6e2e6b38732e696f2f7631120b526f6c6542696e64696e
                671291010a120a02726212001a0022002a00320038004200122a0a04557365721219726261632e617574686f72697a61
                74696f6e2e6b38732e696f1a05616c696365220012240a0e536572766963654163636f756e7412001a076275696c6465
                72220764656661756c741a290a19726261632e617574686f72697a6174696f6e2e6b38732e696f1204526f6c651a0672
                65616465721a002200
                """,
            json: #"{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding","metadata":{"creationTimestamp":null,"name":"rb"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"reader"},"subjects":[{"apiGroup":"rbac.authorization.k8s.io","kind":"User","name":"alice"},{"kind":"ServiceAccount","name":"builder","namespace":"default"}]}"#
        ),
        KubectlFixture(
            command: "kubectl create clusterrolebinding crb --clusterrole=cr --group=devs",
            body: """
                6b3873000a320a1c726261632e617574686f72697a6174696f6e2e6b38732e696f2f76311212436c7573746572526f6c
                6542696e64696e67126f0a130a0363726212001a0022002a00320038004200122a0a0547726f75701219726261632e61
                7574686f72697a6174696f6e2e6b38732e696f1a046465767322001a2c0a19726261632e617574686f72697a6174696f
                6e2e6b38732e696f120b436c7573746572526f6c651a0263721a002200
                """,
            json: #"{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRoleBinding","metadata":{"creationTimestamp":null,"name":"crb"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"cr"},"subjects":[{"apiGroup":"rbac.authorization.k8s.io","kind":"Group","name":"devs"}]}"#
        ),
        KubectlFixture(
            command: "kubectl create poddisruptionbudget p --selector=app=web --min-available=1",
            body: """
                6b3873000a200a09706f6c6963792f76311213506f6444697372757074696f6e42756467657412370a110a017012001a
                0022002a0032003800420012160a06080010011a00120c0a0a0a0361707012037765621a0a080018002000280030001a
                002200
                """,
            json: #"{"apiVersion":"policy/v1","kind":"PodDisruptionBudget","metadata":{"creationTimestamp":null,"name":"p"},"spec":{"minAvailable":1,"selector":{"matchLabels":{"app":"web"}}},"status":{"currentHealthy":0,"desiredHealthy":0,"disruptionsAllowed":0,"expectedPods":0}}"#
        ),
        KubectlFixture(
            command: "kubectl create poddisruptionbudget p2 --selector=app=web --max-unavailable=50%",
            body: """
                6b3873000a200a09706f6c6963792f76311213506f6444697372757074696f6e427564676574123b0a120a0270321200
                1a0022002a003200380042001219120c0a0a0a0361707012037765621a09080110001a033530251a0a08001800200028
                0030001a002200
                """,
            json: #"{"apiVersion":"policy/v1","kind":"PodDisruptionBudget","metadata":{"creationTimestamp":null,"name":"p2"},"spec":{"maxUnavailable":"50%","selector":{"matchLabels":{"app":"web"}}},"status":{"currentHealthy":0,"desiredHealthy":0,"disruptionsAllowed":0,"expectedPods":0}}"#
        ),        KubectlFixture(
            command: "kubectl autoscale deployment web --max=3 --min=2 --cpu-percent=70",
            body: """
                6b3873000a290a0e6175746f7363616c696e672f76311217486f72697a6f6e74616c506f644175746f7363616c6572
                123f0a130a0377656212001a0022002a0032003800420012220a1a0a0a4465706c6f796d656e7412037765621a0761
                7070732f76311002180320461a04180020001a002200
                """,
            json: #"{"apiVersion":"autoscaling/v1","kind":"HorizontalPodAutoscaler","metadata":{"creationTimestamp":null,"name":"web"},"spec":{"maxReplicas":3,"minReplicas":2,"scaleTargetRef":{"apiVersion":"apps/v1","kind":"Deployment","name":"web"},"targetCPUUtilizationPercentage":70},"status":{"currentReplicas":0,"desiredReplicas":0}}"#
        ),
    ]
}

@Test("kubectl's protobuf body decodes to the JSON kubectl would have sent", arguments: KubectlFixture.all)
func decodesKubectlRequest(_ fixture: KubectlFixture) throws {
    let decoded = try KubernetesProtobuf.decode([UInt8](hex: fixture.body))
    #expect(decoded == (try JSON.parse(fixture.json)), "decoded \(decoded.text)")
}
