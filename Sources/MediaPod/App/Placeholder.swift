public enum MediaPodCommand { public static func main() {} }
