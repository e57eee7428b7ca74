package dev.custody.client.cli;

/** {@code --output}: notary-style tables for people, or JSON with a stable schema for scripts. */
enum OutputFormat {
    table,
    json
}
