public enum WebRTCPlaceholder {}
