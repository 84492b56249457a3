// The application artifact on the deployer's machine: a published ASP.NET site, as a folder or a
// .zip. Checked before anything is registered (it exists, it is a site, it is not too large, its
// web.config does not undo the farm), and hashed, so a new build is a new release. No Pulumi here.
import { createHash } from "crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "fs";
import { join, relative, sep } from "path";
import { unzipSync } from "fflate";
import { webConfigOverrides } from "../windows/webConfig";

/** The kit's limit on an uploaded site: far above a .NET Framework site, well below S3's single PUT. */
export const MAX_ARTIFACT_BYTES = 1024 ** 3;

export interface Artifact {
  kind: "folder" | "zip";
  /** Relative paths with forward slashes, sorted. */
  files: string[];
  bytes: number;
  /** sha256 of every path and its content: the same build always gives the same hash. */
  sha256: string;
  /** The site's root web.config, when it has one. */
  webConfig?: string;
}

function walk(root: string, dir = root, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) walk(root, full, out);
    else if (entry.isFile()) out.push(relative(root, full).split(sep).join("/"));
  }
  return out;
}

/** Reads a folder or .zip as an Artifact; throws with a plain sentence when it cannot be read. */
export function readArtifact(path: string): Artifact {
  const hash = createHash("sha256");
  if (statSync(path).isDirectory()) {
    const files = walk(path).sort();
    let bytes = 0;
    for (const file of files) {
      const size = statSync(join(path, file)).size;
      bytes += size;
      // Past the limit the content is not read: the size alone is the problem.
      if (bytes <= MAX_ARTIFACT_BYTES)
        hash
          .update(file)
          .update("\0")
          .update(readFileSync(join(path, file)));
    }
    const webConfig = files.includes("web.config") ? readFileSync(join(path, "web.config"), "utf8") : undefined;
    return { kind: "folder", files, bytes, sha256: hash.digest("hex"), webConfig };
  }
  const data = readFileSync(path);
  hash.update(data);
  const files: string[] = [];
  // The filter sees every entry before it is inflated: list them, inflate only web.config.
  const inflated = unzipSync(data, {
    filter: (entry) => {
      if (!entry.name.endsWith("/")) files.push(entry.name.replace(/^\.\//, ""));
      return entry.name.replace(/^\.\//, "").toLowerCase() === "web.config";
    },
  });
  const webConfigEntry = Object.entries(inflated)[0]?.[1];
  return {
    kind: "zip",
    files: files.sort(),
    bytes: data.length,
    sha256: hash.digest("hex"),
    webConfig: webConfigEntry ? Buffer.from(webConfigEntry).toString("utf8") : undefined,
  };
}

/** Every problem with a published site at `path` (empty when it will deploy). */
export function artifactProblems(path: string): string[] {
  if (!existsSync(path)) return [`${JSON.stringify(path)} does not exist`];
  const stat = statSync(path);
  if (!stat.isDirectory() && !(stat.isFile() && path.toLowerCase().endsWith(".zip"))) {
    return [`${JSON.stringify(path)} is neither a folder nor a .zip`];
  }
  let artifact: Artifact;
  try {
    artifact = readArtifact(path);
  } catch (err) {
    return [`${JSON.stringify(path)} cannot be read: ${err instanceof Error ? err.message : String(err)}`];
  }
  const problems: string[] = [];
  if (artifact.bytes > MAX_ARTIFACT_BYTES) {
    problems.push(
      `${JSON.stringify(path)} is ${(artifact.bytes / 1024 ** 2).toFixed(0)} MB; the kit uploads at most ${MAX_ARTIFACT_BYTES / 1024 ** 2} MB (put larger builds in S3 and give bucket and key)`,
    );
  }
  const isSite = artifact.webConfig !== undefined || artifact.files.some((f) => f.toLowerCase().startsWith("bin/"));
  if (!isSite) {
    problems.push(
      `${JSON.stringify(path)} holds neither web.config nor bin/ at its root: give the folder "Publish" (or msbuild /p:DeployOnBuild=true) wrote`,
    );
  }
  if (artifact.webConfig !== undefined) problems.push(...webConfigOverrides(artifact.webConfig));
  return problems;
}

/** "sha-" and 12 hex digits of what identifies a build: the default release label. */
export function defaultVersion(identity: string): string {
  return `sha-${identity.slice(0, 12)}`;
}
