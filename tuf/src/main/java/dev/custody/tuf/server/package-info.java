/**
 * Client for the Notary v1 server HTTP API (notary-server 0.7), in raw bytes.
 *
 * <p>Everything here is <b>online</b>: each call of {@link dev.custody.tuf.server.NotaryClient}
 * is one request to the server (plus, on a 401, one token fetch and one retry). Nothing here
 * parses or verifies TUF metadata, and nothing is cached; the caller verifies what it fetched
 * before trusting it.
 *
 * <table>
 *   <caption>Calls</caption>
 *   <tr><th>method</th><th>HTTP</th><th>notary CLI equivalent</th></tr>
 *   <tr><td>{@code getRole(gun, role)}</td><td>GET /v2/&lt;gun&gt;/_trust/tuf/&lt;role&gt;.json</td><td>list, lookup (update)</td></tr>
 *   <tr><td>{@code getRoleByChecksum(gun, role, sha256)}</td><td>GET …/&lt;role&gt;.&lt;sha256&gt;.json</td><td>update, consistent snapshot</td></tr>
 *   <tr><td>{@code getRootVersion(gun, n)}</td><td>GET …/&lt;n&gt;.root.json</td><td>update across root rotations</td></tr>
 *   <tr><td>{@code getKey(gun, role)}</td><td>GET …/&lt;role&gt;.key (timestamp, snapshot)</td><td>init, key rotate … -r</td></tr>
 *   <tr><td>{@code rotateKey(gun, role)}</td><td>POST …/&lt;role&gt;.key</td><td>key rotate snapshot|timestamp -r</td></tr>
 *   <tr><td>{@code publish(gun, roles)}</td><td>POST …/ multipart, field {@code files}, file name = role</td><td>publish</td></tr>
 *   <tr><td>{@code delete(gun)}</td><td>DELETE …/</td><td>delete --remote</td></tr>
 *   <tr><td>{@code healthy()}</td><td>GET /_notary_server/health</td><td>—</td></tr>
 * </table>
 *
 * <p>Failures are subclasses of {@link dev.custody.tuf.server.NotaryServerException} (an
 * {@link java.io.IOException}) with a stable {@code code()}: {@code SERVER_UNREACHABLE},
 * {@code NOT_FOUND}, {@code METADATA_INVALID}, {@code CONFLICT}, {@code AUTH_REQUIRED},
 * {@code AUTH_DENIED}, {@code BAD_REQUEST}, {@code RESPONSE_TOO_LARGE}. The server's error body is
 * kept verbatim in the exception and its message. Invalid GUNs and role names are refused with
 * {@link java.lang.IllegalArgumentException} before anything is sent.
 *
 * <p>TLS trusts the JDK's CA store or a given CA file; authentication follows the docker
 * registry token flow (Bearer challenge → token realm, optionally with basic credentials → one
 * retry). Response bodies are capped (default 10 MiB), by Content-Length and by counting bytes.
 */
package dev.custody.tuf.server;
