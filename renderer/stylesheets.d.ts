// Stylesheets a component imports for esbuild to bundle into app.css (uPlot's): they export nothing to the code.
declare module "*.css";
