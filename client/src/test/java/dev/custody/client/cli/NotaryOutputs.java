package dev.custody.client.cli;

/**
 * Output of the real notary 0.7 CLI, captured on this machine (notary-server 0.7 in memory,
 * {@code notary -d TMP -s http://127.0.0.1:4488 …}, the target "v1" = "hello\n"). The tables
 * custody prints must match these byte for byte, except for LOCATION.
 */
final class NotaryOutputs {
    private NotaryOutputs() {}

    static final String LIST = """
      NAME    DIGEST                                                              SIZE (BYTES)    ROLE
      ----    ------                                                              ------------    ----
      v1      5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03    6               targets
      """;

    static final String STATUS = """
      Unpublished changes for example.com/app:

      #    ACTION    SCOPE      TYPE      PATH
      -    ------    -----      ----      ----
      0    create    targets    target    v1
      """;

    /** notary key list, LOCATION column replaced by the token (notary prints its trust_dir there). */
    static final String KEY_LIST = """

      ROLE        GUN                KEY ID                                                              LOCATION
      ----        ---                ------                                                              --------
      root                           1fce6c75b3049fd74648d3f952b0f68beb6babca3e212abc8bf8094645890d1b    yubikey-1 (serial 42)
      snapshot    example.com/app    0cee522c5b55c72c5f46baa39f0d428c064b77a0f3a4e44804bb661014fe2bd6    yubikey-1 (serial 42)
      targets     example.com/app    b191c1834f87a2ba9a6631dcab375ce593617d2dba71361e8939de6f2dbc2b70    yubikey-1 (serial 42)

      """;

    static final String DELEGATION_LIST = """

      ROLE                PATHS             KEY IDS                                                             THRESHOLD
      ----                -----             -------                                                             ---------
      targets/releases    "" <all paths>    7a46ce3eac7f0ed14bc60b8f3580bc71e0dd3593268acc76b680db5033572e34    1

      """;
}
