/**
 * The results custodyd sends, as records the daemon builds and Jackson serializes: field names, order
 * (declaration order) and null/absent behaviour are the wire format {@code docs/protocol-methods.md}
 * documents. Absent fields are null components under {@code @JsonInclude(NON_NULL)}; a field sent as
 * JSON {@code null} is marked {@code @JsonInclude(ALWAYS)}.
 */
package dev.custody.protocol.results;
