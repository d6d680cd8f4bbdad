/** What the fault drills (`cluster kill / pause / resume / restart / scale`) print for people. */
import {color} from '../ui.js'
import type {DrillResult, ScaleResult} from './drills.js'
import {DEFAULT_RUN_DIR} from './manifest.js'

export interface NextStep {
  command: string
  what: string
}

/** `dir` as the user gave it: no --dir when it is the default. */
const dirFlag = (dir: string) => (dir === DEFAULT_RUN_DIR ? '' : ` --dir ${dir}`)

function tryBlock(steps: NextStep[]): string[] {
  const width = Math.max(...steps.map((step) => step.command.length))
  return ['', 'Try:', ...steps.map((step) => `  ${color.cyan(step.command.padEnd(width))}  ${color.dim(step.what)}`)]
}

/** `run` is how the user runs chatdds (invocation(config.bin)); `dir` is the --dir they gave. */
export function drillReport(result: DrillResult, run: string, dir: string): string {
  const {name, pid, port} = result.instance
  const flag = dirFlag(dir)
  const status = {command: `${run} cluster status${flag}`, what: `see ${name} ${result.instance.state}`}
  const tail = {command: `${run} tail${flag} --instance ${name}`, what: `watch messages reach ${name}`}
  switch (result.action) {
    case 'kill':
      return [
        `Killed ${name} (pid ${pid}, SIGKILL); ${result.running ? `the other instances keep running (${result.running})` : 'no instance of the cluster is left'}.`,
        ...tryBlock([status, {command: `${run} cluster restart ${name}${flag}`, what: 'bring it back with its name, port and history'}]),
      ].join('\n')
    case 'pause':
      return [
        result.changed
          ? `Paused ${name} (pid ${pid}, SIGSTOP): it keeps its connections and its DDS lease runs out, but it answers nothing.`
          : `${name} (pid ${pid}) was already paused.`,
        ...tryBlock([status, {command: `${run} cluster resume ${name}${flag}`, what: 'let it run again'}]),
      ].join('\n')
    case 'resume':
      return [
        result.changed ? `Resumed ${name} (pid ${pid}, SIGCONT).` : `${name} (pid ${pid}) was not paused; nothing to resume.`,
        ...tryBlock([status, tail]),
      ].join('\n')
    case 'restart': {
      const seconds = ((result.readyMs ?? 0) / 1000).toFixed(1)
      return [
        `Restarted ${name} on port ${port} (pid ${pid}): ${result.instance.state} in ${seconds} s, with its rooms' history from its peers.`,
        ...tryBlock([{command: `${run} tail${flag} --instance ${name} --history 20`, what: 'its history, then live messages'}, status]),
      ].join('\n')
    }
  }
}

export function scaleReport(result: ScaleResult, run: string, dir: string): string {
  const flag = dirFlag(dir)
  const byName = new Map(result.instances.map((instance) => [instance.name, instance]))
  let what: string
  if (result.added.length > 0) {
    const added = result.added.map((name) => `${name} (port ${byName.get(name)?.port})`).join(', ')
    what = `Scaled the cluster in ${result.runDir} from ${result.from} to ${result.to} instances: started ${added}, ready in ${((result.readyMs ?? 0) / 1000).toFixed(1)} s.`
  } else if (result.removed.length > 0) {
    what = `Scaled the cluster in ${result.runDir} from ${result.from} to ${result.to} instances: stopped and removed ${result.removed.join(', ')}.`
  } else {
    what = `The cluster in ${result.runDir} already has ${result.to} instance${result.to === 1 ? '' : 's'}; nothing to do.`
  }
  return [what, ...tryBlock([{command: `${run} cluster status${flag}`, what: 'every instance and its DDS peers'}])].join('\n')
}
