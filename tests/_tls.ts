// Certificates for the TLS tests: a throw-away CA and a server certificate
// it signed, valid for "localhost" and 127.0.0.1, made with the openssl
// command line once per test process (then cached) in a temporary
// directory that is removed at once.

/** PEM strings of the test CA and of the server's certificate and key. */
export interface TestCertificates {
  /** The CA certificate: what a client trusts (`ssl: { caCerts: [ca] }`). */
  ca: string;
  /** The server certificate (signed by `ca`; localhost, 127.0.0.1). */
  cert: string;
  /** The server's private key. */
  key: string;
}

let made: Promise<TestCertificates> | null = null;

/** The test certificates (made on the first call, then cached). */
export function testCertificates(): Promise<TestCertificates> {
  made ??= makeCertificates();
  return made;
}

async function openssl(dir: string, args: string[]): Promise<void> {
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command("openssl", {
      args,
      cwd: dir,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new Error(
        "the TLS tests need the openssl command to make their certificates: " +
          "install it (Debian/Ubuntu: apt-get install openssl)",
      );
    }
    throw error;
  }
  if (!output.success) {
    const stderr = new TextDecoder().decode(output.stderr);
    throw new Error(`openssl ${args.join(" ")} failed:\n${stderr}`);
  }
}

async function makeCertificates(): Promise<TestCertificates> {
  // Under /tmp: the test task may write there only.
  const dir = await Deno.makeTempDir({ dir: "/tmp", prefix: "asyncio-tls-" });
  try {
    const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"];
    await openssl(dir, [
      "req",
      "-x509",
      ...ec,
      "-nodes",
      "-keyout",
      "ca.key",
      "-out",
      "ca.pem",
      "-days",
      "2",
      "-subj",
      "/CN=asyncio for Deno test CA",
      "-addext",
      "basicConstraints=critical,CA:TRUE",
      "-addext",
      "keyUsage=critical,keyCertSign,cRLSign",
    ]);
    await openssl(dir, [
      "req",
      ...ec,
      "-nodes",
      "-keyout",
      "server.key",
      "-out",
      "server.csr",
      "-subj",
      "/CN=localhost",
    ]);
    await Deno.writeTextFile(
      `${dir}/server.ext`,
      [
        "subjectAltName=DNS:localhost,IP:127.0.0.1",
        "basicConstraints=critical,CA:FALSE",
        "keyUsage=critical,digitalSignature",
        "extendedKeyUsage=serverAuth",
        "",
      ].join("\n"),
    );
    await openssl(dir, [
      "x509",
      "-req",
      "-in",
      "server.csr",
      "-CA",
      "ca.pem",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-out",
      "server.pem",
      "-days",
      "2",
      "-extfile",
      "server.ext",
    ]);
    return {
      ca: await Deno.readTextFile(`${dir}/ca.pem`),
      cert: await Deno.readTextFile(`${dir}/server.pem`),
      key: await Deno.readTextFile(`${dir}/server.key`),
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
