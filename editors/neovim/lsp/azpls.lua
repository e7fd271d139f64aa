-- azpls (Azure Pipelines language server) for Neovim 0.11+'s native LSP configs.
--
-- With this folder's parent on 'runtimepath' (or this file copied to
-- ~/.config/nvim/lsp/azpls.lua), one line in init.lua starts it on YAML buffers:
--
--   vim.lsp.enable('azpls')
--
-- and `vim.lsp.config('azpls', { cmd = { '/path/to/azpls', 'server' } })` overrides any field.
-- Standalone on purpose (no require), so copying this one file is enough. Same defaults
-- as ../lua/azpls.lua, which also covers Neovim 0.7-0.10.
return {
  cmd = { 'azpls', 'server' },
  -- azpls stays silent on YAML that is not a pipeline, so every YAML buffer can have it.
  filetypes = { 'yaml' },
  -- In priority order: azpls.toml marks the folder the server reads its settings from.
  root_markers = { 'azpls.toml', '.git' },
}
