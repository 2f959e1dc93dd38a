import MediaPod

MediaPodCommand.main()
