/** The wire contract in one place: envelope, message ids and cursors, every frame and its parse/validate/stringify. */
export * from './batch.js'
export * from './cluster.js'
export * from './envelope.js'
export * from './frames.js'
export * from './ids.js'
export * from './message.js'
