// Generate the API client in src/client from the backend's OpenAPI schema.
//
//   node scripts/generate-client.mjs           write src/client and openapi.json
//   node scripts/generate-client.mjs --check   fail when they differ from what the backend says
//
// The schema comes straight from the backend's code (no server needed), through uv.
import { execFileSync } from "node:child_process"
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join, relative, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { createClient } from "@hey-api/openapi-ts"

const frontendDir = resolve(dirname(fileURLToPath(import.meta.url)), "..")
const backendDir = resolve(frontendDir, "../backend")
const clientDir = join(frontendDir, "src/client")
const schemaFile = join(frontendDir, "openapi.json")
const check = process.argv.includes("--check")

const DUMP =
  "import json; from app.main import create_app; print(json.dumps(create_app().openapi(), indent=2))"

function dumpSchema() {
  // ENVIRONMENT=local so the schema is the same on every machine (it includes /private).
  const output = execFileSync(
    "uv",
    ["run", "--frozen", "--quiet", "python", "-W", "ignore", "-c", DUMP],
    {
      cwd: backendDir,
      env: { ...process.env, ENVIRONMENT: "local" },
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
    },
  )
  return `${JSON.stringify(JSON.parse(output), null, 2)}\n`
}

async function generate(schemaPath, outputPath) {
  await createClient({
    input: schemaPath,
    output: { path: outputPath },
    logs: { level: "silent" },
    plugins: ["@hey-api/client-fetch", "@hey-api/typescript", "@hey-api/sdk"],
  })
}

function listFiles(dir) {
  return readdirSync(dir, { recursive: true })
    .map((name) => join(dir, name))
    .filter((path) => statSync(path).isFile())
    .map((path) => relative(dir, path))
    .sort()
}

const schema = dumpSchema()
if (!check) {
  writeFileSync(schemaFile, schema)
  await generate(schemaFile, clientDir)
  console.log(`Wrote ${relative(frontendDir, clientDir)} and openapi.json`)
  process.exit(0)
}

const scratch = mkdtempSync(join(tmpdir(), "client-check-"))
try {
  const scratchSchema = join(scratch, "openapi.json")
  writeFileSync(scratchSchema, schema)
  await generate(scratchSchema, join(scratch, "client"))
  const drift = []
  if (readFileSync(schemaFile, "utf8") !== schema) drift.push("openapi.json")
  const expected = listFiles(join(scratch, "client"))
  const actual = listFiles(clientDir)
  for (const name of new Set([...expected, ...actual])) {
    const a = expected.includes(name) ? readFileSync(join(scratch, "client", name), "utf8") : null
    const b = actual.includes(name) ? readFileSync(join(clientDir, name), "utf8") : null
    if (a !== b) drift.push(`src/client/${name}`)
  }
  if (drift.length > 0) {
    console.error("The generated API client is out of date with the backend's OpenAPI schema:")
    for (const name of drift) console.error(`  ${name}`)
    console.error("Run `npm run generate-client` and commit the result.")
    process.exit(1)
  }
  console.log("The generated API client matches the backend's OpenAPI schema")
} finally {
  rmSync(scratch, { recursive: true, force: true })
}
