package dev.custody.client.cli;

import picocli.CommandLine.IVersionProvider;

/** {@code custody --version}: the jar's implementation version, or "dev" when run from classes. */
final class VersionProvider implements IVersionProvider {
    @Override
    public String[] getVersion() {
        String v = VersionProvider.class.getPackage().getImplementationVersion();
        return new String[] {"custody " + (v == null ? "dev" : v)};
    }
}
