/**
 * This plugin's build: @grafana/create-plugin's webpack config (.config/, never edited: `npx
 * @grafana/create-plugin update` replaces it) extended with what both plugins of this monorepo
 * need (plugin-tooling/extend-webpack-config.ts, README "Grafana plugins").
 */
import type { Configuration } from 'webpack';
import grafanaConfig, { type Env } from './.config/webpack/webpack.config';
import { copyFilePatterns } from './.config/bundler/copyFiles';
import { extendPluginConfig } from '../plugin-tooling/extend-webpack-config';

const config = async (env: Env): Promise<Configuration> => extendPluginConfig(await grafanaConfig(env), env, copyFilePatterns);

export default config;
