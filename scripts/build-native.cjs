// `npm install` step: builds the Fast DDS binding with node-gyp unless build/Release/chatdds.node is
// newer than every source. `npx chatdds` re-installs the project into npm's cache as a link, which
// runs this script again; skipping an up-to-date build keeps that fast and never deletes a binary in use.
const {spawnSync} = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')

const root = path.resolve(__dirname, '..')
const binary = path.join(root, 'build', 'Release', 'chatdds.node')
const sources = [path.join(root, 'binding.gyp'), ...listFiles(path.join(root, 'src', 'native'))]

function listFiles(dir) {
  return fs.readdirSync(dir, {withFileTypes: true}).flatMap((entry) => {
    const file = path.join(dir, entry.name)
    return entry.isDirectory() ? listFiles(file) : [file]
  })
}

const builtAt = fs.existsSync(binary) ? fs.statSync(binary).mtimeMs : 0
if (builtAt > 0 && sources.every((file) => fs.statSync(file).mtimeMs <= builtAt)) process.exit(0)
// No network here: build against the headers Node ships (Debian's /usr/include/node) rather than let
// node-gyp download them, unless npm was told where they are.
const args = ['rebuild']
if (!process.env.npm_config_nodedir && fs.existsSync(path.join(path.dirname(process.execPath), '..', 'include', 'node', 'node_api.h'))) {
  args.push(`--nodedir=${path.resolve(path.dirname(process.execPath), '..')}`)
}
const result = spawnSync('node-gyp', args, {cwd: root, stdio: 'inherit', shell: process.platform === 'win32'})
// Outside npm (which puts its own node-gyp on the PATH) node-gyp may be missing: say so, never fail silently.
if (result.error) console.error(`Could not run node-gyp (${result.error.message}); run \`npm run build:native\` or \`npm rebuild chatdds\`.`)
process.exit(result.status ?? 1)
