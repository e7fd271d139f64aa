-- End-to-end driver, run inside Neovim (0.7 to 0.11) after the init.lua of the test has
-- loaded the shipped config from editors/neovim and opened azure-pipelines.yml:
--
--   nvim --headless -u init.lua azure-pipelines.yml -c 'luafile e2e.lua'
--
-- Uses the editor's own commands as a user would: vim.lsp.buf.hover() and reads the float,
-- vim.lsp.buf.code_action() to apply the preferred quick fix, :AzplsExpand before and after
-- the fix, :write. Appends one line per check to $E2E_REPORT; exits 0 when all passed, 1
-- otherwise (with the reason in the report). tests/editors/neovim-0.7/run.sh uses it too.
local report = assert(io.open(assert(os.getenv('E2E_REPORT'), 'E2E_REPORT unset'), 'a'))
local function say(fmt, ...)
  report:write(string.format(fmt, ...) .. '\n')
  report:flush()
end

local v = vim.version()
local nvim = string.format('%d.%d.%d', v.major, v.minor, v.patch)
local has_011 = vim.fn.has('nvim-0.11') == 1

local function clients(buf)
  if vim.lsp.get_clients then
    return vim.lsp.get_clients({ bufnr = buf, name = 'azpls' })
  end
  local found = {}
  for _, c in pairs(vim.lsp.buf_get_clients(buf)) do -- 0.7 .. 0.9: a map id -> client
    if c.name == 'azpls' then
      table.insert(found, c)
    end
  end
  return found
end

-- 0.7 keeps the LSP code on the top level and in user_data.lsp; newer versions on the top.
local function code_of(d)
  return d.code or (d.user_data and d.user_data.lsp and d.user_data.lsp.code)
end

local function codes(buf)
  local found = {}
  for _, d in ipairs(vim.diagnostic.get(buf)) do
    local code = code_of(d)
    if code then
      found[code] = d
    end
  end
  return found
end

local function wait(ms, what, pred)
  if not vim.wait(ms, pred, 50) then
    error(string.format('timed out after %d ms waiting for %s', ms, what), 0)
  end
end

local function floating_windows()
  local wins = {}
  for _, w in ipairs(vim.api.nvim_list_wins()) do
    if vim.api.nvim_win_get_config(w).relative ~= '' then
      table.insert(wins, w)
    end
  end
  return wins
end

-- :AzplsExpand shows the expanded pipeline in this buffer, in a window of its own.
local EXPANDED = 'azpls://expanded/azure-pipelines.yml'

local function windows()
  local wins = {}
  for _, w in ipairs(vim.api.nvim_tabpage_list_wins(0)) do
    if vim.api.nvim_win_get_config(w).relative == '' then
      table.insert(wins, w)
    end
  end
  return wins
end

local function expanded_window()
  for _, w in ipairs(windows()) do
    if vim.api.nvim_buf_get_name(vim.api.nvim_win_get_buf(w)) == EXPANDED then
      return w
    end
  end
  return nil
end

local function text_of(win)
  return table.concat(vim.api.nvim_buf_get_lines(vim.api.nvim_win_get_buf(win), 0, -1, false), '\n')
end

-- Runs :AzplsExpand in the source buffer `buf` and waits until the expanded buffer, beside
-- it, shows `task` (the first step) and the template's step; checks that the focus stayed
-- and the buffer is a read-only scratch buffer no server attaches to. Returns its window.
local function expand(buf, task)
  if vim.fn.exists(':AzplsExpand') ~= 2 then
    error('there is no :AzplsExpand command (editors/neovim/plugin/azpls.lua, lua/azpls.lua)', 0)
  end
  local source_win = vim.api.nvim_get_current_win()
  local started = vim.loop.hrtime()
  vim.cmd('AzplsExpand')
  local step = 'task: ' .. task .. '  # azure-pipelines.yml:11'
  wait(10000, string.format('%s to show "%s"', EXPANDED, step), function()
    local w = expanded_window()
    return w ~= nil and text_of(w):find(step, 1, true) ~= nil
  end)
  local ms = (vim.loop.hrtime() - started) / 1e6
  local win = expanded_window()
  local exp = vim.api.nvim_win_get_buf(win)
  local text = text_of(win)
  -- The template call is replaced by the template's step, its parameter filled in, with
  -- the template's file and line.
  local inlined = '- script: curl --fail --silent https://example.org/site  # steps/smoke-test.yml:8'
  if not text:find(inlined, 1, true) then
    error('the expanded pipeline lacks the template\'s step:\n' .. text, 0)
  end
  if text:find('${{', 1, true) or text:find('template:', 1, true) then
    error('the expanded pipeline still has a template expression or call:\n' .. text, 0)
  end
  if vim.api.nvim_get_current_win() ~= source_win then
    error(':AzplsExpand moved the cursor out of the source window', 0)
  end
  local src_pos = vim.api.nvim_win_get_position(source_win)
  local exp_pos = vim.api.nvim_win_get_position(win)
  if src_pos[1] ~= exp_pos[1] or exp_pos[2] <= src_pos[2] then
    local where = 'the expanded window (row %d, col %d) is not right of the source (row %d, col %d)'
    error(string.format(where, exp_pos[1], exp_pos[2], src_pos[1], src_pos[2]), 0)
  end
  local bo = vim.bo[exp]
  local want = {
    buftype = 'nofile',
    bufhidden = 'wipe',
    swapfile = false,
    modifiable = false,
    readonly = true,
    filetype = 'yaml',
  }
  for option, value in pairs(want) do
    if bo[option] ~= value then
      local wrong = "the expanded buffer has '%s' %s, not %s"
      error(string.format(wrong, option, tostring(bo[option]), tostring(value)), 0)
    end
  end
  -- Typing in it, as a user would, and through the API: both refused.
  local typed, typed_err = pcall(vim.api.nvim_win_call, win, function()
    vim.cmd('normal! ggiedited')
  end)
  local set = pcall(vim.api.nvim_buf_set_lines, exp, 0, 0, false, { 'edited' })
  if typed or set or text_of(win) ~= text or not tostring(typed_err):find('E21', 1, true) then
    error('the expanded buffer took an edit: ' .. tostring(typed_err), 0)
  end
  if #clients(exp) > 0 then
    error('azpls attached to the expanded buffer', 0)
  end
  say(
    "ok: :AzplsExpand shows %s beside the source in %.0f ms, read-only (%d lines, the template's step inlined)",
    task,
    ms,
    #vim.split(text, '\n')
  )
  return win
end

local ok, err = pcall(function()
  local buf = vim.api.nvim_get_current_buf()
  local lines = vim.api.nvim_buf_get_lines(buf, 0, -1, false)
  say('nvim %s, filetype %s', nvim, vim.bo[buf].filetype)

  wait(10000, 'azpls to attach to the buffer', function()
    return #clients(buf) > 0
  end)
  local client = clients(buf)[1]
  say('ok: azpls attached (root %s)', tostring(client.config.root_dir))

  wait(10000, 'diagnostics wif-deprecated-version and wif-unsupported-task', function()
    local c = codes(buf)
    return c['wif-deprecated-version'] ~= nil and c['wif-unsupported-task'] ~= nil
  end)
  local c = codes(buf)
  for _, code in ipairs({ 'wif-deprecated-version', 'wif-unsupported-task' }) do
    local d = c[code]
    say('ok: diagnostic %s at %d:%d: %s', code, d.lnum + 1, d.col + 1, d.message or '(no message stored)')
  end

  -- Without an azpls client there is nothing to ask: an error, no window.
  local notified = {}
  local orig_notify = vim.notify
  vim.notify = function(message, level)
    table.insert(notified, { message = message, level = level })
  end
  require('azpls').expand(vim.api.nvim_create_buf(false, true))
  vim.notify = orig_notify
  local said = notified[1]
  if #notified ~= 1 or said.level ~= vim.log.levels.ERROR or not said.message:find('no azpls', 1, true) then
    error('expanding a buffer without azpls did not notify an error: ' .. vim.inspect(notified), 0)
  end
  say('ok: without azpls attached, :AzplsExpand says: %s', notified[1].message)

  local expanded_win = expand(buf, 'AzureFileCopy@4')
  local expanded_buf = vim.api.nvim_win_get_buf(expanded_win)

  -- The task reference to hover and fix.
  local row, col
  for i, line in ipairs(lines) do
    local s = line:find('AzureFileCopy@4', 1, true)
    if s then
      row, col = i, s - 1
      break
    end
  end
  assert(row, 'the fixture has no AzureFileCopy@4')
  local d = c['wif-deprecated-version']
  assert(d.lnum + 1 == row, string.format('wif-deprecated-version is on line %d, not %d', d.lnum + 1, row))

  -- Hover: the editor's own command opens a float; read what it shows.
  vim.api.nvim_win_set_cursor(0, { row, col })
  vim.lsp.buf.hover()
  wait(5000, 'the hover float', function()
    return #floating_windows() > 0
  end)
  local float = floating_windows()[1]
  local shown = table.concat(vim.api.nvim_buf_get_lines(vim.api.nvim_win_get_buf(float), 0, -1, false), '\n')
  if not shown:find('AzureFileCopy@6', 1, true) then
    error('hover on AzureFileCopy@4 does not mention AzureFileCopy@6:\n' .. shown, 0)
  end
  say('ok: hover on AzureFileCopy@4 mentions AzureFileCopy@6 (%d lines)', #vim.split(shown, '\n'))
  vim.api.nvim_win_close(float, true)
  vim.api.nvim_set_current_win(vim.fn.bufwinid(buf))

  -- Quick fix through vim.lsp.buf.code_action().
  vim.api.nvim_win_set_cursor(0, { row, col })
  local offered = {}
  local orig_select = vim.ui.select
  if has_011 then
    -- apply=true applies the one action the filter leaves without a menu; a menu here
    -- means the filter matched several.
    vim.ui.select = function(items)
      for _, item in ipairs(items) do
        table.insert(offered, (item.action or item[2] or {}).title or '?')
      end
      error('code_action showed a menu: ' .. table.concat(offered, ' | '))
    end
    vim.lsp.buf.code_action({
      context = { only = { 'quickfix' } },
      filter = function(action)
        table.insert(offered, action.title)
        return action.kind == 'quickfix' and action.isPreferred == true
      end,
      apply = true,
    })
  else
    -- 0.7 has no filter/apply: it always shows vim.ui.select. Stand in for the user and
    -- pick the preferred quick fix from the whole menu.
    vim.ui.select = function(items, _, on_choice)
      local chosen
      for _, item in ipairs(items) do
        local action = item[2]
        table.insert(offered, action.title)
        if not chosen and action.kind == 'quickfix' and action.isPreferred then
          chosen = item
        end
      end
      on_choice(chosen)
    end
    vim.lsp.buf.code_action()
  end
  wait(5000, 'the quick fix to change line ' .. row, function()
    return vim.api.nvim_buf_get_lines(buf, row - 1, row, false)[1] ~= lines[row]
  end)
  vim.ui.select = orig_select
  local fixed = vim.api.nvim_buf_get_lines(buf, row - 1, row, false)[1]
  say('ok: code actions offered: %s', table.concat(offered, ' | '))
  say('ok: line %d after the quick fix: %s', row, fixed)

  -- The edit went to the server as didChange: the fixed finding goes, the other stays.
  wait(10000, 'wif-deprecated-version to clear after the fix', function()
    return codes(buf)['wif-deprecated-version'] == nil
  end)
  assert(codes(buf)['wif-unsupported-task'], 'wif-unsupported-task vanished after the fix')
  say('ok: after the edit the server dropped wif-deprecated-version and kept wif-unsupported-task')

  -- Run again on the edited (unsaved) text: the same buffer and window, refreshed.
  local count = #windows()
  local again = expand(buf, 'AzureFileCopy@6')
  if again ~= expanded_win or vim.api.nvim_win_get_buf(again) ~= expanded_buf or #windows() ~= count then
    error(':AzplsExpand again opened another window or buffer instead of refreshing its own', 0)
  end
  say('ok: :AzplsExpand again refreshed the same buffer in the same window')

  vim.cmd('write')
  say('ok: saved %s', vim.api.nvim_buf_get_name(buf))
end)

if not ok then
  say('FAIL: %s', tostring(err))
end
report:close()
vim.cmd(ok and 'qall!' or 'cquit! 1')
