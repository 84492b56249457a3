// The user data document's body: a short loader that carries the finished boot script inside it,
// gzip-compressed and base64-encoded, writes it to a file and runs it. Pure: text in, text out.
//
// Why: EC2 takes at most 16 KB of raw user data (EC2 user guide, "Work with instance user data",
// docs.aws.amazon.com/AWSEC2/latest/UserGuide/instancedata-add-user-data.html: "limited to 16 KB,
// in raw form, before it is base64-encoded"), and the plain scripts reached 16,034 bytes. Compressed, the largest is under half of that, and the
// loader stays self-contained: no bucket, no permission, nothing fetched at boot, and the script is
// pinned by content (a changed script changes the user data, so the node is replaced or the launch
// template gets a new version, exactly as before).
//
// The decoder here (expandUserData) is the one every scan of user data uses (tests, the offline
// plan, the policy pack): a compressed secret would otherwise hide from a plain-text scan.
import { gzipSync } from "fflate";
import { gunzipSync } from "zlib";

/** EC2's limit on raw user data (before base64). */
export const USER_DATA_LIMIT_BYTES = 16 * 1024;
/** The kit's own budget: 75% of EC2's limit at the longest values validation allows (issue 22). */
export const USER_DATA_BUDGET_BYTES = 12 * 1024;
/** Where the loader writes the boot script before running it (beside the boot log). */
export const BOOT_SCRIPT = "C:\\ProgramData\\aspnet-webfarm\\boot.ps1";

/** A base64 gzip member: 1f 8b 08 (gzip, deflate) encodes as "H4sI"; the shortest member is 18 bytes. */
const PAYLOAD = /H4sI[A-Za-z0-9+/]{20,}={0,2}/g;

/**
 * The script, gzip-compressed and base64-encoded. fflate (pure JavaScript, pinned) rather than
 * Node's zlib, whose output may differ between Node versions and CPUs: the same script must give
 * byte-identical user data on every machine, or a deploy from another laptop replaces every node.
 * mtime 0 keeps the time out of the header.
 */
export function packScript(script: string): string {
  return Buffer.from(gzipSync(Buffer.from(script, "utf8"), { level: 9, mtime: 0 })).toString("base64");
}

/**
 * The loader's PowerShell lines. It first makes the kit's folder (the boot script, logs, and the
 * script a SYSTEM task runs) writable by SYSTEM and Administrators only: C:\ProgramData's default ACL
 * lets Users create files and folders in its subfolders, which inherit that. icacls /inheritance:r
 * drops the inherited entries and /grant:r sets the two, by SID (S-1-5-18 LocalSystem, S-1-5-32-544
 * Administrators: Microsoft Learn, "icacls", learn.microsoft.com/windows-server/administration/
 * windows-commands/icacls, and "Well-known SIDs"); icacls is a native command, so its exit code
 * is checked. Every run sets the same ACL.
 *
 * Windows PowerShell 5.1 (.NET Framework 4.8 on Windows Server 2022) has System.IO.Compression.GZipStream in System.dll (Microsoft Learn, "GZipStream Class",
 * learn.microsoft.com/dotnet/api/system.io.compression.gzipstream?view=netframework-4.8). The script
 * is written as UTF-8 with a BOM, so Windows PowerShell reads it as UTF-8 and not in the ANSI code
 * page (about_Character_Encoding), and run with -File: "When the script file terminates with an
 * exit command, the process exit code is set to the numeric argument used with the exit command"
 * (about_PowerShell_exe). The loader exits with that code, so EC2Launch v2, which waits for a task
 * with detach: false and records its exit code (docs.aws.amazon.com/AWSEC2/latest/WindowsGuide/
 * ec2launch-v2-settings.html; task definitions, executeScript), still sees a failed boot as failed.
 */
export function loaderLines(script: string): string[] {
  return [
    "# aspnet-webfarm boot loader (generated): the boot script is below, gzip-compressed and base64-encoded",
    "# to keep the user data well under EC2's 16 KB (plans/<stack>/ shows it expanded). It is written",
    "# to a file and run; its exit code is this task's.",
    "$ErrorActionPreference = 'Stop'",
    `$Script = '${BOOT_SCRIPT}'`,
    "$Dir = (New-Item -ItemType Directory -Force -Path (Split-Path -Parent $Script)).FullName",
    "# SYSTEM and Administrators only: ProgramData lets Users add files to its subfolders.",
    "icacls.exe $Dir /inheritance:r /grant:r '*S-1-5-18:(OI)(CI)F' '*S-1-5-32-544:(OI)(CI)F' /Q",
    "if ($LASTEXITCODE) { throw 'icacls failed' }",
    `$Packed = [System.IO.MemoryStream]::new([Convert]::FromBase64String('${packScript(script)}'))`,
    "$Gzip = [System.IO.Compression.GZipStream]::new($Packed, [System.IO.Compression.CompressionMode]::Decompress)",
    "$Reader = [System.IO.StreamReader]::new($Gzip, [System.Text.UTF8Encoding]::new($false))",
    "try { $Text = $Reader.ReadToEnd() } finally { $Reader.Dispose() }",
    "[System.IO.File]::WriteAllText($Script, $Text, [System.Text.UTF8Encoding]::new($true))",
    "& (Join-Path $PSHOME 'powershell.exe') -NoProfile -NonInteractive -ExecutionPolicy Bypass -File $Script",
    "exit $LASTEXITCODE",
  ];
}

/** Every compressed payload in a text, decompressed (a payload that does not decompress throws). */
export function userDataPayloads(text: string): string[] {
  return [...text.matchAll(PAYLOAD)].map((m, i) => {
    try {
      return gunzipSync(Buffer.from(m[0], "base64")).toString("utf8");
    } catch (error) {
      throw new Error(`user data payload ${i + 1} is not a gzip stream: ${(error as Error).message}`, { cause: error });
    }
  });
}

/**
 * User data as a reader (or a scan for secrets) must see it: each compressed payload replaced by a
 * marker, and the payloads' text appended after the document. Text without a payload comes back as
 * it is. Deterministic, so the offline plan can show it and diff it line by line.
 */
export function expandUserData(text: string): string {
  const payloads = userDataPayloads(text);
  if (payloads.length === 0) return text;
  let n = 0;
  const document = text.replace(PAYLOAD, (m) => `<payload ${++n}: ${m.length} characters of base64, expanded below>`);
  return [
    document.endsWith("\n") ? document : `${document}\n`,
    ...payloads.map((p, i) => `# ---- payload ${i + 1}, expanded (what the node runs) ----\n${p}`),
  ].join("");
}

/** The one boot script a kit user data document carries (throws unless there is exactly one). */
export function bootScriptOf(userData: string): string {
  const payloads = userDataPayloads(userData);
  if (payloads.length !== 1) throw new Error(`expected one boot script in the user data, found ${payloads.length}`);
  return payloads[0];
}
