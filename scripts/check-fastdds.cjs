// Fails `npm ci` early, in one line, when the Fast DDS development packages are missing.
const fs = require('node:fs')
const path = require('node:path')
// CHATDDS_INCLUDE_DIR exists for the test of this very message.
const include = process.env.CHATDDS_INCLUDE_DIR || '/usr/include'
const needed = ['fastdds/dds/domain/DomainParticipant.hpp', 'fastcdr/Cdr.h'].map((file) => path.join(include, file))
if (needed.some((file) => !fs.existsSync(file))) {
  console.error('chatdds: Fast DDS headers not found; install them with: sudo apt-get install -y libfastrtps-dev libfastcdr-dev')
  process.exit(1)
}
