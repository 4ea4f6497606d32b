// Jest setup from create-plugin's base (.config/jest.config.js names <rootDir>/jest-setup.js).
require('./.config/jest-setup');
