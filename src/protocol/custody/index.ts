export * from './model';
export * from './violation';
export * from './state';
export * from './history';
export * from './rules';
export * from './replay';
