// A small PNG decoder for the screenshots Chromium takes (8-bit RGB or RGBA, not interlaced): enough to count pixel colours.
import zlib from 'node:zlib'

/**
 * @param {Buffer} png
 * @returns {{width: number, height: number, pixel: (x: number, y: number) => [number, number, number]}}
 */
export function decodePng(png) {
  let offset = 8
  let width = 0
  let height = 0
  let channels = 0
  const idat = []
  while (offset < png.length) {
    const length = png.readUInt32BE(offset)
    const type = png.toString('latin1', offset + 4, offset + 8)
    const body = png.subarray(offset + 8, offset + 8 + length)
    if (type === 'IHDR') {
      width = body.readUInt32BE(0)
      height = body.readUInt32BE(4)
      const [depth, colorType, , , interlace] = body.subarray(8)
      if (depth !== 8 || interlace !== 0 || (colorType !== 2 && colorType !== 6)) throw new Error(`unsupported PNG: depth ${depth}, colour type ${colorType}`)
      channels = colorType === 6 ? 4 : 3
    } else if (type === 'IDAT') idat.push(body)
    offset += 12 + length
  }
  const raw = zlib.inflateSync(Buffer.concat(idat))
  const stride = width * channels
  const pixels = Buffer.alloc(height * stride)
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1))
    for (let x = 0; x < stride; x++) {
      const left = x >= channels ? pixels[y * stride + x - channels] : 0
      const up = y > 0 ? pixels[(y - 1) * stride + x] : 0
      const upLeft = y > 0 && x >= channels ? pixels[(y - 1) * stride + x - channels] : 0
      let predictor = 0
      if (filter === 1) predictor = left
      else if (filter === 2) predictor = up
      else if (filter === 3) predictor = (left + up) >> 1
      else if (filter === 4) {
        const p = left + up - upLeft
        const [pa, pb, pc] = [Math.abs(p - left), Math.abs(p - up), Math.abs(p - upLeft)]
        predictor = pa <= pb && pa <= pc ? left : pb <= pc ? up : upLeft
      }
      pixels[y * stride + x] = (line[x] + predictor) & 0xff
    }
  }
  return {
    width,
    height,
    pixel: (x, y) => {
      const at = y * stride + x * channels
      return [pixels[at], pixels[at + 1], pixels[at + 2]]
    },
  }
}

/** How many pixels of `png` are within `tolerance` (per channel) of the colour `#rrggbb`. */
export function countColour(png, hex, tolerance = 0) {
  const image = decodePng(png)
  const want = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16))
  let count = 0
  for (let y = 0; y < image.height; y++)
    for (let x = 0; x < image.width; x++) if (image.pixel(x, y).every((value, i) => Math.abs(value - want[i]) <= tolerance)) count++
  return count
}
