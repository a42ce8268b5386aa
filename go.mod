module github.com/odpswatch/odpswatch

go 1.26
