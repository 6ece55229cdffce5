import type { Router } from 'express';
import type { Config } from './config/config';
import type { Logger } from './logger';
import type { Database } from './db/database';

export interface FeatureDeps {
  config: Config;
  logger: Logger;
  db: Database;
}

/** Wires services to their routers; the auth API is mounted here. */
export function buildFeatureRouters(_deps: FeatureDeps): Router[] {
  return [];
}
