// The machine that generated the load and what the target said it is, recorded in every report so
// numbers are never read without their context.
import { availableParallelism, cpus, hostname, platform, release, arch, totalmem } from 'node:os';
import type { Environment } from './model.js';

export function captureEnvironment(toolVersion: string, targetHeaders: Record<string, string>): Environment {
  return {
    tool: 'regprobe',
    version: toolVersion,
    node: process.version,
    platform: `${platform()} ${release()} ${arch()}`,
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    cores: availableParallelism(),
    memoryBytes: totalmem(),
    targetHeaders,
    hostname: hostname(),
  };
}
