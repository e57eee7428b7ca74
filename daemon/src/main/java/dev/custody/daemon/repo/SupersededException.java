package dev.custody.daemon.repo;

/**
 * One attempt of a publish lost to another writer: the server refused it as out of date (notary's
 * VERSION), or read back after the POST it serves another writer's version. The attempt's journaled
 * operation is closed, nothing of it is on the server, the staged changes are kept: the publish can be
 * built again on the server's new state. Never leaves the repository package ({@link Convergence}
 * turns the last one into CONFLICT).
 */
final class SupersededException extends Exception {
    private static final long serialVersionUID = 1L;

    SupersededException(String message, Throwable cause) {
        super(message, cause);
    }
}
