// The Debian packages the local farm needs, installed when missing (Debian and root only).
import { execFileSync } from "child_process";
import { existsSync } from "fs";
import { FASTCGI_SERVER, NGINX, STATE_SERVER_EXE } from "./farm";
import { SQLITE3 } from "./sessionDb";

const MONO_SQLITE_DLL = "/usr/lib/mono/gac/Mono.Data.Sqlite/4.0.0.0__0738eb9f132ed756/Mono.Data.Sqlite.dll";

/** From local-farm-on-mono.md: xsp4 is broken in bookworm, so FastCGI behind nginx. */
export const DEBIAN_PACKAGES = [
  "mono-xsp4",
  "mono-fastcgi-server4",
  "nginx-light",
  "curl",
  // SQLServer mode: Mono's SQLite provider (its session handler's default) and the sqlite3 tool.
  "libmono-sqlite4.0-cil",
  "sqlite3",
];
const NEEDED_FILES = ["/usr/bin/mono", FASTCGI_SERVER, NGINX, STATE_SERVER_EXE, SQLITE3, MONO_SQLITE_DLL];

export function missingFiles(): string[] {
  return NEEDED_FILES.filter((f) => !existsSync(f));
}

/** Returns when everything is present; installs it if it can; otherwise throws saying what to do. */
export function ensurePackages(log: (line: string) => void = console.log): void {
  const missing = missingFiles();
  if (missing.length === 0) return;
  const command = `apt-get install -y --no-install-recommends ${DEBIAN_PACKAGES.join(" ")}`;
  if (!existsSync("/etc/debian_version")) {
    throw new Error(
      `the local farm needs Mono's ASP.NET FastCGI server, its state server and nginx (missing: ${missing.join(", ")}). ` +
        `This is not Debian: install the equivalents of the Debian packages ${DEBIAN_PACKAGES.join(", ")}, or run it on Debian 12 (bookworm).`,
    );
  }
  if (process.getuid?.() !== 0) {
    throw new Error(
      `missing ${missing.join(", ")}. Install them as root, then run again:\n  sudo apt-get update && sudo ${command}`,
    );
  }
  log(`installing ${DEBIAN_PACKAGES.join(", ")} (missing: ${missing.join(", ")})...`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  execFileSync("apt-get", ["update", "-qq"], { stdio: "inherit", env });
  execFileSync("apt-get", ["install", "-y", "-qq", "--no-install-recommends", ...DEBIAN_PACKAGES], {
    stdio: "inherit",
    env,
  });
  const still = missingFiles();
  if (still.length > 0)
    throw new Error(`installed ${DEBIAN_PACKAGES.join(", ")} but still missing ${still.join(", ")}`);
}

if (require.main === module) {
  try {
    ensurePackages();
    console.log("the local farm's packages are installed");
  } catch (err) {
    console.error(`local farm: ${err instanceof Error ? err.message : err}`);
    process.exit(1);
  }
}
