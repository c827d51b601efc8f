/**
 * A throwaway certificate for the TLS examples, made with `openssl` in a
 * temporary directory: a CA, and a certificate for `localhost` and
 * `127.0.0.1` signed by it. Servers use `cert` and `key`; clients trust
 * `ca` (`openConnection(host, port, { ssl: { caCerts: [ca] } })`).
 * `await using` deletes the directory. Without `openssl`, the program says
 * so and exits with status 1.
 *
 * The Python originals do the same with `subprocess` (`make_certificate`).
 */

/** The PEM texts and the directory holding their files. */
export interface LocalCertificate extends AsyncDisposable {
  /** The temporary directory (deleted by `await using`). */
  readonly dir: string;
  /** The CA certificate (PEM) that clients trust. */
  readonly ca: string;
  /** The server's certificate (PEM), for localhost and 127.0.0.1. */
  readonly cert: string;
  /** The server's private key (PEM). */
  readonly key: string;
}

async function openssl(dir: string, ...args: string[]): Promise<void> {
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command("openssl", {
      args,
      cwd: dir,
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    await Deno.remove(dir, { recursive: true });
    console.error(
      "openssl is not installed: this example makes its TLS certificate " +
        "with it (apt-get install openssl)",
    );
    Deno.exit(1);
  }
  if (!output.success) {
    await Deno.remove(dir, { recursive: true });
    throw new Error(
      `openssl ${args.join(" ")} failed:\n${
        new TextDecoder().decode(output.stderr)
      }`,
    );
  }
}

/** Makes a CA and a localhost certificate in a new temporary directory. */
export async function makeCertificate(): Promise<LocalCertificate> {
  const dir = await Deno.makeTempDir({ prefix: "asyncio_tls_" });
  // An EC key (P-256) is made at once; each certificate is valid for a day.
  const newKey = [
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-days",
    "1",
  ];
  // The CA: self-signed, with the CA:TRUE constraint of openssl's defaults.
  await openssl(
    dir,
    "req",
    "-x509",
    ...newKey,
    "-subj",
    "/CN=asyncio example CA",
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
  );
  // The server's certificate, signed by the CA. A certificate that is its
  // own CA would not do: TLS libraries (Deno's rustls) refuse a CA
  // certificate as a server's.
  await openssl(
    dir,
    "req",
    "-x509",
    ...newKey,
    "-subj",
    "/CN=localhost",
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-addext",
    "subjectAltName=DNS:localhost,IP:127.0.0.1",
    "-addext",
    "basicConstraints=critical,CA:FALSE",
    "-addext",
    "extendedKeyUsage=serverAuth",
    "-keyout",
    "server.key",
    "-out",
    "server.pem",
  );
  const read = (name: string) => Deno.readTextFile(`${dir}/${name}`);
  return {
    dir,
    ca: await read("ca.pem"),
    cert: await read("server.pem"),
    key: await read("server.key"),
    async [Symbol.asyncDispose]() {
      await Deno.remove(dir, { recursive: true });
    },
  };
}
