public enum BroadcastAPIPlaceholder {}
