/// Random hex strings for ingest tokens and unique names. `SystemRandomNumberGenerator` reads the kernel's CSPRNG
/// (getrandom on Linux), which is what a bearer token needs.
enum IngestToken {
    /// `bytes` random bytes as lowercase hex (32 bytes → 64 characters).
    static func random(bytes: Int = 32) -> String {
        var generator = SystemRandomNumberGenerator()
        let hex = Array("0123456789abcdef")
        var text = ""
        text.reserveCapacity(bytes * 2)
        for _ in 0..<bytes {
            let byte = UInt8.random(in: .min ... .max, using: &generator)
            text.append(hex[Int(byte >> 4)])
            text.append(hex[Int(byte & 0x0f)])
        }
        return text
    }
}
