// Fails `npm ci` early, in one line, when the Fast DDS development packages are missing.
const fs = require('node:fs')
const needed = ['/usr/include/fastdds/dds/domain/DomainParticipant.hpp', '/usr/include/fastcdr/Cdr.h']
if (needed.some((file) => !fs.existsSync(file))) {
  console.error('chatdds: Fast DDS headers not found; install them with: sudo apt-get install -y libfastrtps-dev libfastcdr-dev')
  process.exit(1)
}
