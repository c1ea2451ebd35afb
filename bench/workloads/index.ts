// Every workload, by stable id. Ids never change meaning once released (like conformance case ids).
import type { WorkloadDefinition } from '../workload.js';
import { API_WORKLOADS } from './api.js';
import { MIXED_WORKLOADS } from './mixed.js';
import { PULL_WORKLOADS } from './pull.js';
import { PUSH_WORKLOADS } from './push.js';

export const WORKLOADS: readonly WorkloadDefinition[] = [...API_WORKLOADS, ...PULL_WORKLOADS, ...PUSH_WORKLOADS, ...MIXED_WORKLOADS];

const BY_ID = new Map(WORKLOADS.map((w) => [w.id, w]));

export function findWorkload(id: string): WorkloadDefinition | undefined {
  return BY_ID.get(id);
}

export function workloadIds(): string[] {
  return WORKLOADS.map((w) => w.id);
}
